"""The MCP door: HPI's tools for AI agents over the Model Context Protocol (SPEC §12).

``server`` serves them as Streamable HTTP at ``/mcp`` (mounted in the API door's app);
``stdio`` bridges stdin/stdout to that endpoint for agents that start servers as processes.
The tools are defined once, by topic (``ask``, ``tasks``, ``processes``, ``files``), and call
the core like the REST routes do.
"""
