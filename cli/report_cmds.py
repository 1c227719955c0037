"""report commands (issue 4). Registered on the main app by `register(app)`."""
import typer


def register(app: typer.Typer) -> None:
    """Adds this module's commands to `app`."""
