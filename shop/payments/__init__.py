"""Payment providers behind one adapter; ECPay's All-In-One checkout is the one we speak."""
