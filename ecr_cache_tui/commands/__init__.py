"""One module per ``ecr-cache`` subcommand: ``add_arguments(parser)`` and ``run(args) -> int``.

Keep module level imports light (argparse and the standard library): heavy imports go inside
``run`` so that parsing the command line stays cheap for every command.
"""
