"""Reaching an agent on another machine: `ssh://` addresses, tunnelled with paramiko."""
