"""``python -m uprgraph.web``: the same as ``uprgraph serve``."""

from .commands import serve

if __name__ == "__main__":
    serve(prog_name="python -m uprgraph.web")
