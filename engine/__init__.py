"""engine: the ``dataengine`` command line, files on disk, datasets, storage and the end-to-end jobs.

Only this package touches files, environment variables, the network or ``sys.argv``.
"""

__version__ = "0.1.0"
