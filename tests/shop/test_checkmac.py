"""CheckMacValue exactly as ECPay publishes it."""

from shop.payments.checkmac import check_mac_valid, check_mac_value, signed

# ECPay's published AioCheckOut example (developers.ecpay.com.tw, "Checksum Mechanism").
EXAMPLE = {
    "TradeDesc": "促銷方案",
    "PaymentType": "aio",
    "MerchantTradeDate": "2023/03/12 15:30:23",
    "MerchantTradeNo": "ecpay20230312153023",
    "MerchantID": "3002607",
    "ReturnURL": "https://www.ecpay.com.tw/receive.php",
    "ItemName": "Apple iphone 15",
    "TotalAmount": "30000",
    "ChoosePayment": "ALL",
    "EncryptType": "1",
}
KEY, IV = "pwFHCqoQZGmho4w6", "EkRm7iFT261dpevs"


def test_the_published_aio_checkout_example_gives_the_published_value():
    assert (
        check_mac_value(EXAMPLE, hash_key=KEY, hash_iv=IV)
        == "6C51C9E6888DE861FD62FB1DD17029FC742634498FD813DC43D4243B5685B840"
    )


def test_the_published_md5_example_shows_the_same_encoding_rules():
    # ECPay's e-invoice allowance example signs with MD5 but encodes exactly the same way.
    fields = {
        "RtnCode": "1",
        "RtnMsg": "",
        "IA_Allow_No": "1909181313013546",
        "IA_Invoice_No": "UV11100019",
        "IA_Date": "2019-09-18 13:13:23",
        "IIS_Remain_Allowance_Amt": "0",
    }
    assert (
        check_mac_value(fields, hash_key="ejCk326UnaZWKisg", hash_iv="q9jcZX8Ib9LM8wYk", algorithm="md5")
        == "50A276E71DAE26343013958B405EEEA0"
    )


def test_net_safe_characters_are_not_encoded():
    plain = check_mac_value({"A": "x-_.!*()y"}, hash_key=KEY, hash_iv=IV)
    assert plain != check_mac_value({"A": "x%2d_.!*()y"}, hash_key=KEY, hash_iv=IV)


def test_a_signed_payload_verifies_and_any_change_breaks_it():
    payload = signed(EXAMPLE, hash_key=KEY, hash_iv=IV)
    assert check_mac_valid(payload, hash_key=KEY, hash_iv=IV)
    assert check_mac_valid(
        {**payload, "CheckMacValue": payload["CheckMacValue"].lower()}, hash_key=KEY, hash_iv=IV
    )
    assert not check_mac_valid({**payload, "TotalAmount": "1"}, hash_key=KEY, hash_iv=IV)
    assert not check_mac_valid({**payload, "CheckMacValue": ""}, hash_key=KEY, hash_iv=IV)
    assert not check_mac_valid(
        {k: v for k, v in payload.items() if k != "CheckMacValue"}, hash_key=KEY, hash_iv=IV
    )
    assert not check_mac_valid(payload, hash_key="wrong", hash_iv=IV)
