"""Log-ins the demo data creates; printed by `manage.py demo_logins` (never used outside DEBUG)."""

DEMO_PASSWORD = "demo-pass-2026"
OPERATIONS_USER = "ops"
FINANCE_USER = "finance"
DEALERS = [
    # code, name, city, advisor user, manager user
    ("TPE01", "台北內湖服務廠", "台北市", "sa-tpe", "mgr-tpe"),
    ("TCH01", "台中西屯服務廠", "台中市", "sa-tch", "mgr-tch"),
    ("KHH01", "高雄左營服務廠", "高雄市", "sa-khh", "mgr-khh"),
]
# The first owners get fixed, memorable numbers so the portal can be tried.
DEMO_OWNER_PHONES = ["+886912000001", "+886912000002", "+886912000003"]
