"""Hook mode: the whole plugin behaviour of SPEC §4, run by ``ecr-cache hook pre-command``.

* :mod:`.flow` orchestrates the steps, one named step a line, with injected collaborators
  (:mod:`.types`: ECR, the engine, the registry, a clock, a log);
* :mod:`.remote` ensures the repository and holds the run's registry login and clients;
* :mod:`.miss` says why a miss missed, builds, pushes and remembers an owed push;
* :mod:`.decision` is the pure hit/miss ladder and the retry policy;
* :mod:`.repository` ensures the repository, its tags and its lifecycle policy;
* :mod:`.build` builds the ``docker build`` argv;
* :mod:`.log` writes Buildkite log groups through a redactor;
* :mod:`.annotation` says what the build page is told (a miss or a failure, one per step);
* :mod:`.exports` writes the exported variables for the bash shim.

Nothing here imports ``textual``; boto3 and docker are only reached through adapters.
"""
