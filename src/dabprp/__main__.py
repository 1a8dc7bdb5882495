from dabprp.cli import main

main()
