"""`python -m knooppunt`: the same command as `knooppunt`."""

from knooppunt.cli.main import main

if __name__ == "__main__":
    main()
