"""The task form: the state it keeps, the views it renders from a spec, and its fields.

``views`` turns a validated spec into render-ready steps, blocks and fields; ``values`` turns
what the form holds back into the JSON ``data`` the spec asks for; ``state`` is
``TaskFormState``, the one state every form component reads; ``fields`` and ``file_field``
render each field kind bound to it.
"""
