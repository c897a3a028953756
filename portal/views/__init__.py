"""Owner portal views: parse input, call a service or a selector, render. No state changes here."""
