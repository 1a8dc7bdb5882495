from dabprp.cli import entry_point

entry_point()
