"""Integrations with coding assistants: Claude Code subagent, slash command and MCP registration."""
