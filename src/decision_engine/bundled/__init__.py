"""The bundled policies: ``policies.yaml``, ``rules/`` and ``examples/``, shipped as package
data so an installed wheel serves them without the source checkout. The checkout's root
links to them (``policies.yaml``, ``rules``, ``examples``) so maintainers edit them there."""
