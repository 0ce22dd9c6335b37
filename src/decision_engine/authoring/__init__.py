"""Tools for the people who write and review policies: lint, exhaustive proofs over the
reduced domain, semantic diff (and, from other modules, rendering, policy tests, approval).
They read the same YAML the engine compiles and never change a decision."""
