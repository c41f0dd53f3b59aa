"""Plan packs: a plan's whole configuration as versioned, validated YAML."""
