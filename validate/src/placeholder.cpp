// Replaced by the rule catalogue.
