"""A plain HTML form that the browser submits itself (Reflex's form always prevents that)."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML


class NativeForm(BaseHTML):
    """``<form action method>`` posted by the browser: used where the server must set an HttpOnly cookie."""

    tag = "form"

    action: rx.Var[str]
    method: rx.Var[str]


native_form = NativeForm.create
