"""The Members page's components: the add form, the member list and the remove dialog."""

from __future__ import annotations

import reflex as rx

from hpi_app.components.forms import (
    error_callout,
    labelled_field,
    notice_callout,
    secondary_button,
    submit_button,
    text_field,
    text_input,
)
from hpi_app.components.layout import admin_only
from hpi_app.components.settings_nav import (
    WIDE_ONLY,
    form_card,
    records_table,
    settings_page,
    when_loaded,
)
from hpi_app.pages.settings import confirm_action_dialog
from hpi_app.pages.settings.members.state import MemberRow, MembersState
from hpi_app.vocab import Role

ROLE_LABELS = {Role.MEMBER: "Member", Role.ADMIN: "Admin"}


def role_badge(role: rx.Var[str] | str) -> rx.Component:
    """A badge for a member's role."""
    return rx.cond(
        role == Role.ADMIN,
        rx.badge(rx.icon("shield", size=12), ROLE_LABELS[Role.ADMIN], color_scheme="indigo", variant="soft"),
        rx.badge(ROLE_LABELS[Role.MEMBER], color_scheme="gray", variant="soft"),
    )


def _add_form() -> rx.Component:
    return form_card(
        "Add a member",
        rx.grid(
            text_field(
                "Email",
                "member-email",
                type="email",
                value=MembersState.email,
                on_change=MembersState.set_email,
                placeholder="name@example.com",
                error=MembersState.email_error,
            ),
            text_field(
                "Name",
                "member-name",
                value=MembersState.name,
                on_change=MembersState.set_name,
                placeholder="Optional",
                error=MembersState.name_error,
            ),
            labelled_field(
                "Role",
                "member-role",
                rx.select.root(
                    rx.select.trigger(id="member-role", width="100%"),
                    rx.select.content(
                        *[rx.select.item(label, value=role.value) for role, label in ROLE_LABELS.items()],
                    ),
                    value=MembersState.role,
                    on_change=MembersState.set_role,
                ),
                hint="Admins also manage members and see every token.",
            ),
            labelled_field(
                "Temporary password",
                "member-password",
                rx.hstack(
                    text_input(
                        "member-password",
                        value=MembersState.password,
                        on_change=MembersState.set_password,
                        auto_complete="new-password",
                        font_family="var(--code-font-family)",
                    ),
                    secondary_button(
                        rx.icon("dices", size=16),
                        "Generate",
                        type="button",
                        on_click=MembersState.generate_password,
                        id="generate-password",
                    ),
                    spacing="2",
                    width="100%",
                ),
                MembersState.password_error,
                hint="At least 8 characters. Pass it on; they can change it under Account.",
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="4",
            width="100%",
        ),
        error=MembersState.form_error,
        submit=submit_button(
            "Add member", icon="user-plus", busy=MembersState.adding, button_id="add-member"
        ),
        on_submit=MembersState.add,
    )


def _member_actions(row: MemberRow) -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            secondary_button(
                "Manage",
                rx.icon("chevron-down", size=14),
                size="1",
                aria_label="Manage " + row.email,
                class_name="manage-member",
            ),
        ),
        rx.dropdown_menu.content(
            rx.cond(
                row.role == Role.ADMIN,
                rx.dropdown_menu.item(
                    rx.icon("shield-off", size=14),
                    "Make member",
                    on_click=MembersState.change_role(row.id, Role.MEMBER.value),
                ),
                rx.dropdown_menu.item(
                    rx.icon("shield", size=14),
                    "Make admin",
                    on_click=MembersState.change_role(row.id, Role.ADMIN.value),
                ),
            ),
            rx.cond(
                row.is_self,
                rx.fragment(),
                rx.fragment(
                    rx.dropdown_menu.separator(),
                    rx.dropdown_menu.item(
                        rx.icon("user-x", size=14),
                        "Remove…",
                        color_scheme="red",
                        on_click=MembersState.ask_remove(row.id),
                    ),
                ),
            ),
            align="end",
        ),
    )


def _member_row(row: MemberRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.hstack(
                    rx.text(row.email, weight="medium", word_break="break-all"),
                    rx.cond(
                        row.is_self, rx.badge("You", variant="outline", color_scheme="gray", radius="full")
                    ),
                    spacing="2",
                    align="center",
                ),
                rx.cond(row.name != "", rx.text(row.name, size="1", color_scheme="gray")),
                spacing="0",
            ),
        ),
        rx.table.cell(role_badge(row.role)),
        rx.table.cell(
            rx.moment(row.added_at, format="D MMM YYYY", with_title=True, title_format="D MMM YYYY, HH:mm"),
            white_space="nowrap",
            display=WIDE_ONLY,
        ),
        rx.table.cell(_member_actions(row), text_align="right"),
        class_name="member-row",
        key=row.id,
        data_email=row.email,
        data_role=row.role,
        align="center",
    )


def _member_list() -> rx.Component:
    return rx.vstack(
        rx.heading("Members", size="3", as_="h3"),
        notice_callout(MembersState.notice, "members-notice"),
        error_callout(MembersState.action_error, role="alert", id="members-error"),
        when_loaded(
            MembersState.loaded,
            records_table(
                MembersState.rows,
                _member_row,
                rx.table.column_header_cell("Member"),
                rx.table.column_header_cell("Role"),
                rx.table.column_header_cell("Added", display=WIDE_ONLY),
                rx.table.column_header_cell(""),
                table_id="member-table",
            ),
            id="members-loading",
        ),
        spacing="3",
        width="100%",
    )


def _remove_dialog() -> rx.Component:
    return confirm_action_dialog(
        MembersState,
        title=rx.alert_dialog.title("Remove ", MembersState.confirm_name, "?"),
        description=rx.alert_dialog.description(
            "They are signed out at once, can no longer sign in, and every API token they made stops "
            "working. Their tasks stay.",
            size="2",
        ),
        confirm_label="Remove member",
        dialog_id="remove-dialog",
        confirm_id="confirm-remove",
    )


def members_page() -> rx.Component:
    """Settings > Members."""
    return settings_page(
        "members",
        "Members",
        "The people who can sign in to your organisation and work on its tasks.",
        admin_only(_add_form(), _member_list(), _remove_dialog()),
    )
