"""The metrics of SPEC §5: sections, facts and their sources, rollups, day sets, the engine."""
