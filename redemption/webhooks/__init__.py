"""Outbound webhooks: signed events about vouchers, delivered to partners by django-q2 tasks.

events.py records deliveries in the transaction that changed the voucher (an outbox), sending.py
posts them after commit with retries and back-off, signing.py signs and verifies, receivers.py
listens to the domain signals (connected in RedemptionConfig.ready).
"""
