from django.dispatch import Signal

# bookings: BookingRequest; booking, event (BookingEvent). Sent inside the service's transaction:
# receivers enqueue their work after commit (the owner's message).
booking_changed = Signal()
