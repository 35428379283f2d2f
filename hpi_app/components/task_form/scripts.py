"""The scripts the task form runs in the browser after the server answers."""

from __future__ import annotations

import reflex as rx

SCROLL_TOP = rx.call_script("window.scrollTo({top: 0, behavior: 'smooth'})")
# Bring the first field that needs attention into view; focus it unless the person is already
# typing in a field (the script runs after the server's answer, so it must not steal focus).
FOCUS_FIRST_ERROR = rx.call_script(
    "setTimeout(() => {"
    " const block = document.querySelector('[data-invalid=\"true\"]');"
    " if (!block) return;"
    " block.scrollIntoView({block: 'center', behavior: 'smooth'});"
    " const active = document.activeElement;"
    " if (active && active.matches('input, textarea, [role=combobox], [contenteditable=true]')) return;"
    " const control = block.querySelector('input:not([type=hidden]):not([aria-hidden=true]), textarea,"
    " button[role=combobox], button[role=radio], button[role=checkbox]');"
    " if (control) control.focus({preventScroll: true});"
    "}, 50)"
)
