"""The cache key: the checksum of everything that defines an image, and its inputs manifest.

* :mod:`.globbing`: ``cache-on`` patterns, bash ``globstar`` semantics;
* :mod:`.jsonselect`: ``file.json#.a.b`` selectors and canonical JSON;
* :mod:`.checksum`: the versioned XXH3-128 checksum over the inputs (SPEC §3);
* :mod:`.inputs`: the inputs manifest (what a tag was computed from) and its diff;
* :mod:`.dockerfile`: the Dockerfile as Docker reads it (:mod:`.dockerfile_syntax` splits it,
  :mod:`.shellwords` expands ``$VAR``): stages, dependencies, what ``COPY``/``ADD`` read;
* :mod:`.dockerignore` and :mod:`.copied`: the context files those instructions read.
"""
