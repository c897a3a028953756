from .members import DealerFactory, DealerStaffFactory, MemberFactory, UserFactory
from .shop import pack, paid_definition
from .vehicles import OwnedVehicleFactory, VehicleFactory, VehicleModelFactory, raise_alert
from .vouchers import DefinitionFactory, issue_voucher, plate_batch

__all__ = [
    "DealerFactory",
    "DealerStaffFactory",
    "DefinitionFactory",
    "MemberFactory",
    "OwnedVehicleFactory",
    "UserFactory",
    "VehicleFactory",
    "VehicleModelFactory",
    "issue_voucher",
    "pack",
    "paid_definition",
    "plate_batch",
    "raise_alert",
]
