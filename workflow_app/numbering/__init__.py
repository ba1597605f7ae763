"""Number sequences (文号, certificate numbers, code bodies): per series, authority and year, never repeating."""
