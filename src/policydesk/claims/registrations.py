"""What claims plugs into the shared registries: role permissions, card tabs, indicators, timeline, menu."""
