"""Tools for the people who maintain policies: render, test, approve, sign off; lint,
exhaustive proofs over the reduced domain, semantic diff. They read the same YAML the
engine compiles and never change a decision."""
