"""Taiwan's B2C e-invoice (電子發票): the buyer's carrier rules, ECPay's e-invoice API and its stand-in."""
