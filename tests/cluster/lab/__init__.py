"""The cluster test bed: Visio's nodes in network namespaces of their own (``bed``), and
browsers meeting through HAProxy while nodes are killed (``scenario``)."""
