"""Use cases: queries, transitions, suggestions, imports and batch loaders. Nothing here knows GraphQL."""
