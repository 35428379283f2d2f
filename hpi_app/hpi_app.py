"""Builds the Reflex app: its pages, the API door and the lifespan tasks."""

from __future__ import annotations

import reflex as rx

from hpi_app import routes
from hpi_app.api.app import create_api
from hpi_app.mcp.server import run_mcp_sessions
from hpi_app.pages.dashboard import DashboardState, dashboard_page
from hpi_app.pages.login import LoginState, login_page
from hpi_app.pages.process_link import ProcessLinkState, process_link_page
from hpi_app.pages.processes import (
    ProcessesState,
    ProcessState,
    TaskProcessState,
    process_page,
    processes_page,
)
from hpi_app.pages.settings.account import AccountState, account_page
from hpi_app.pages.settings.defaults import DefaultsState, defaults_page
from hpi_app.pages.settings.members import MembersState, members_page
from hpi_app.pages.settings.sinks import SinksState, sinks_page
from hpi_app.pages.settings.tokens import TokensState, tokens_page
from hpi_app.pages.setup import SetupState, setup_page
from hpi_app.pages.task_detail import TaskDetailState, task_detail_page
from hpi_app.pages.task_page import TaskPageState, task_page
from hpi_app.state import SessionState
from hpi_app.workers.bootstrap import announce_mail_mode, create_first_admin
from hpi_app.workers.bus_bridge import run_bus_bridge
from hpi_app.workers.delivery import run_delivery_worker
from hpi_app.workers.expiry import run_expiry_sweeper
from hpi_app.workers.retention import run_retention_sweeper
from hpi_app.workers.schedules import run_schedule_worker
from hpi_app.workers.upload_collector import run_upload_collector

app = rx.App(api_transformer=create_api())
app.add_page(
    dashboard_page,
    route=routes.DASHBOARD,
    title="Tasks · HPI",
    on_load=[SessionState.require_member, DashboardState.load],
)
app.add_page(
    task_detail_page,
    route=routes.TASK_DETAIL,
    title="Task · HPI",
    on_load=[SessionState.require_member, TaskDetailState.load, TaskProcessState.load],
)
app.add_page(
    processes_page,
    route=routes.PROCESSES,
    title="Processes · HPI",
    on_load=[SessionState.require_member, ProcessesState.load],
)
app.add_page(
    process_page,
    route=routes.PROCESS_DETAIL,
    title="Process · HPI",
    on_load=[SessionState.require_member, ProcessState.load],
)
app.add_page(login_page, route=routes.LOGIN, title="Sign in · HPI", on_load=LoginState.load)
app.add_page(setup_page, route=routes.SETUP, title="Set up · HPI", on_load=SetupState.load)
app.add_page(
    tokens_page,
    route=routes.SETTINGS_TOKENS,
    title="API Tokens · Settings · HPI",
    on_load=[SessionState.require_member, TokensState.load],
)
app.add_page(
    members_page,
    route=routes.SETTINGS_MEMBERS,
    title="Members · Settings · HPI",
    on_load=[SessionState.require_member, MembersState.load],
)
app.add_page(
    sinks_page,
    route=routes.SETTINGS_SINKS,
    title="Notification sinks · Settings · HPI",
    on_load=[SessionState.require_member, SinksState.load],
)
app.add_page(
    account_page,
    route=routes.SETTINGS_ACCOUNT,
    title="Account · Settings · HPI",
    on_load=[SessionState.require_member, AccountState.load],
)
app.add_page(
    defaults_page,
    route=routes.SETTINGS_DEFAULTS,
    title="Task defaults · Settings · HPI",
    on_load=[SessionState.require_member, DefaultsState.load],
)
app.add_page(task_page, route=routes.TASK_PAGE, title="Task · HPI", on_load=TaskPageState.load)
app.add_page(
    process_link_page, route=routes.PROCESS_PAGE, title="Process · HPI", on_load=ProcessLinkState.load
)
app.register_lifespan_task(run_bus_bridge)  # first: only when REFLEX_REDIS_URL is set
app.register_lifespan_task(announce_mail_mode)
app.register_lifespan_task(create_first_admin)
app.register_lifespan_task(run_expiry_sweeper)
app.register_lifespan_task(run_schedule_worker)
app.register_lifespan_task(run_retention_sweeper)  # only when HPI_RETENTION_DAYS is set
app.register_lifespan_task(run_delivery_worker)
app.register_lifespan_task(run_upload_collector)
app.register_lifespan_task(run_mcp_sessions)
