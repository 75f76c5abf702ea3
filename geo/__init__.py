"""Every line of spatial SQL and every geometry conversion. Dialect differences live here."""
