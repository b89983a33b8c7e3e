"""One module per `shoprec` subcommand, each with `register(sub, settings)`.

To add a command: write `service/cli/<name>_cmd.py` with a `register` function that adds
its subparser and sets `handler=`, then list the module in `service.cli.main.COMMANDS`.
"""
