"""The order search language: every field, operator and error, case by case.

The typed `OrderFilter` and the order tabs are in test_order_query_language_typed.py, the
Hypothesis properties of the parser and printer are in
test_order_query_language_properties.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gql.ids import encode_id
from models.after_sales.states import AfterSaleStatus
from models.enums import Fulfillment, OrderChannel, OrderType, PaymentMethod
from models.errors import ErrorCode
from models.orders import filters as f
from models.orders.query_language import QuerySyntaxError, parse_query
from models.orders.states import OrderStatus as S

ZONE = ZoneInfo("Asia/Shanghai")


def parse(text: str) -> f.Node | None:
    return parse_query(text, ZONE)


def day(y: int, m: int, d: int) -> datetime:
    """Midnight of a business day, in UTC."""
    return datetime(y, m, d, tzinfo=ZONE).astimezone(UTC)


def status(*values: S) -> f.Node:
    return f.enum_in(f.EnumField.STATUS, values)


def text(value: str, field: f.TextField = f.TextField.ANY) -> f.Node:
    return f.text_match(field, value)


def store(*codes: str) -> f.Node:
    return f.name_in(f.NameField.STORE_CODE, codes)


# ---- fields ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status:PENDING_SHIPMENT,pending_pickup", status(S.PENDING_SHIPMENT, S.PENDING_PICKUP)),
        ("STATUS:Shipped", status(S.SHIPPED)),
        ("store:SH001,SH002", store("SH001", "SH002")),
        ("storeid:7", f.id_in(f.IdField.STORE, [7])),
        (f"storeid:{encode_id('Store', 8)}", f.id_in(f.IdField.STORE, [8])),
        ("province:浙江省", f.name_in(f.NameField.PROVINCE, ["浙江省"])),
        ("city:杭州市", f.name_in(f.NameField.CITY, ["杭州市"])),
        ("district:西湖区", f.name_in(f.NameField.DISTRICT, ["西湖区"])),
        ("no:2026112312345678", text("2026112312345678", f.TextField.ORDER_NO)),
        ("order:2026112312345678", text("2026112312345678", f.TextField.ORDER_NO)),
        ("no:2026112*", text("2026112", f.TextField.ORDER_NO_PREFIX)),
        ('no:"2026*"', text("2026*", f.TextField.ORDER_NO)),
        ("phone:1234", text("1234", f.TextField.PHONE)),
        ("phone:+86-138-0013-8000", text("13800138000", f.TextField.PHONE)),
        ("buyerPhone:1234", text("1234", f.TextField.BUYER_PHONE)),
        ('buyerphone:"138 0013 8000"', text("13800138000", f.TextField.BUYER_PHONE)),
        ("storeName:静安", text("静安", f.TextField.STORE_NAME)),
        ("serial:4200001234", text("4200001234", f.TextField.SERIAL)),
        ("warehouse:hq", f.flag_is(f.FlagField.HQ_WAREHOUSE, True)),
        ("warehouse:总部", f.flag_is(f.FlagField.HQ_WAREHOUSE, True)),
        ("warehouse:STORE", f.flag_is(f.FlagField.HQ_WAREHOUSE, False)),
        ("campaign:any", f.flag_is(f.FlagField.HAS_CAMPAIGN, True)),
        ("campaign:None", f.flag_is(f.FlagField.HAS_CAMPAIGN, False)),
        ("watched:true", f.flag_is(f.FlagField.WATCHED, True)),
        ("watched:No", f.flag_is(f.FlagField.WATCHED, False)),
        ("consignee:张", text("张", f.TextField.CONSIGNEE)),
        ("product:车厘子", text("车厘子", f.TextField.PRODUCT)),
        ("sku:SKU12", text("SKU12", f.TextField.SKU)),
        ("created:2026-11-02", f.time_in(f.TimeField.CREATED, day(2026, 11, 2), day(2026, 11, 3), ZONE)),
        ("paid:>=2026-11-01", f.time_in(f.TimeField.PAID, day(2026, 11, 1), None, ZONE)),
        ("total:>100", f.amount_in(10001, None)),
        (
            "payment:wechat_pay,ALIPAY",
            f.enum_in(f.EnumField.PAYMENT, [PaymentMethod.WECHAT_PAY, PaymentMethod.ALIPAY]),
        ),
        ("type:group_buy", f.enum_in(f.EnumField.TYPE, [OrderType.GROUP_BUY])),
        ("fulfillment:SELF_PICKUP", f.enum_in(f.EnumField.FULFILLMENT, [Fulfillment.SELF_PICKUP])),
        ("channel:app,H5", f.enum_in(f.EnumField.CHANNEL, [OrderChannel.APP, OrderChannel.H5])),
        ("campaign:5", f.id_in(f.IdField.CAMPAIGN, [5])),
        (f"campaign:{encode_id('Campaign', 9)},5", f.id_in(f.IdField.CAMPAIGN, [9, 5])),
        ("aftersale:PENDING_REVIEW", f.enum_in(f.EnumField.AFTER_SALE, [AfterSaleStatus.PENDING_REVIEW])),
        ("张三", text("张三")),
        ('"张 三"', text("张 三")),
        ("“张 三”", text("张 三")),
        ("13800138000", text("13800138000")),
    ],
)
def test_each_field(query: str, expected: f.Node) -> None:
    assert parse(query) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("待付款", S.PENDING_PAYMENT),
        ("待成团", S.AWAITING_GROUP),
        ("待接单", S.PENDING_ACCEPTANCE),
        ("待分配", S.PENDING_ALLOCATION),
        ("待发货", S.PENDING_SHIPMENT),
        ("待提货", S.PENDING_PICKUP),
        ("已发货", S.SHIPPED),
        ("交易完成", S.COMPLETED),
        ("已完成", S.COMPLETED),
        ("已取消", S.CANCELLED),
        ("已关闭", S.CLOSED),
    ],
)
def test_chinese_status_names(name: str, expected: S) -> None:
    assert parse(f"status:{name}") == status(expected)


def test_blank_query_is_no_condition() -> None:
    assert parse("") is None
    assert parse("   \u3000 ") is None
    assert parse_query(None, ZONE) is None


def test_full_width_colon_and_comma_of_chinese_input_methods() -> None:
    assert parse("status：待发货，待提货") == status(S.PENDING_SHIPMENT, S.PENDING_PICKUP)


def test_text_values_in_a_list_are_alternatives() -> None:
    expected = f.any_of(text("张三", f.TextField.CONSIGNEE), text("李 四", f.TextField.CONSIGNEE))
    assert parse('consignee:张三,"李 四"') == expected


def test_quotes_escape_and_keep_special_characters() -> None:
    assert parse(r'"say \"hi\" (now)"') == text('say "hi" (now)')
    assert parse('"OR"') == text("OR")
    assert parse('consignee:"a,b"') == text("a,b", f.TextField.CONSIGNEE)
    assert parse('"status:x"') == text("status:x")
    assert parse("or and not") == f.all_of(text("or"), text("and"), text("not"))


# ---- dates, amounts and operators -----------------------------------------------------------------


def created(start: datetime | None, end: datetime | None) -> f.Node:
    return f.time_in(f.TimeField.CREATED, start, end, ZONE)


US = timedelta(microseconds=1)
T = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("created:2026-11-01", created(day(2026, 11, 1), day(2026, 11, 2))),
        ("created:=2026-11-01", created(day(2026, 11, 1), day(2026, 11, 2))),
        ("created:>2026-11-01", created(day(2026, 11, 2), None)),
        ("created:>=2026-11-01", created(day(2026, 11, 1), None)),
        ("created:<2026-11-01", created(None, day(2026, 11, 1))),
        ("created:<=2026-11-01", created(None, day(2026, 11, 2))),
        ("created:2026-11-01..2026-11-03", created(day(2026, 11, 1), day(2026, 11, 4))),
        ("created:2026-11-01..", created(day(2026, 11, 1), None)),
        ("created:..2026-11-01", created(None, day(2026, 11, 2))),
        ("created:2026-11-01T08:30:00Z", created(T, T + US)),
        ("created:>2026-11-01T08:30:00+00:00", created(T + US, None)),
        ("created:<2026-11-01T16:30:00+08:00", created(None, T)),
        ("created:>=2026-11-01T16:30", created(T, None)),  # no offset: business time zone
        ("created:2026-11-01T08:30Z..2026-11-01T09:00Z", created(T, T + timedelta(minutes=30) + US)),
    ],
)
def test_time_operators(query: str, expected: f.Node) -> None:
    assert parse(query) == expected


def test_a_date_is_a_whole_business_day() -> None:
    node = parse("paid:2026-11-02")
    assert isinstance(node, f.TimeIn)
    assert node.start == datetime(2026, 11, 1, 16, 0, tzinfo=UTC)
    assert node.end == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    assert parse_query("paid:2026-11-02", ZoneInfo("UTC")) != node


@pytest.mark.parametrize(
    ("query", "low", "high"),
    [
        ("total:100", 10000, 10000),
        ("total:=99.9", 9990, 9990),
        ("total:>100", 10001, None),
        ("total:>=100.5", 10050, None),
        ("total:<100", None, 9999),
        ("total:<=0.01", None, 1),
        ("total:50..99.99", 5000, 9999),
        ("total:50..", 5000, None),
        ("total:..50", None, 5000),
    ],
)
def test_amount_operators_in_yuan(query: str, low: int | None, high: int | None) -> None:
    assert parse(query) == f.amount_in(low, high)


# ---- negation, AND, OR, parentheses ---------------------------------------------------------------

A, B, C, D = text("a"), text("b"), text("c"), text("d")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a b", f.all_of(A, B)),
        ("a AND b", f.all_of(A, B)),
        ("a OR b", f.any_of(A, B)),
        ("a b OR c", f.any_of(f.all_of(A, B), C)),
        ("a OR b c", f.any_of(A, f.all_of(B, C))),
        ("a AND b OR c AND d", f.any_of(f.all_of(A, B), f.all_of(C, D))),
        ("(a OR b) c", f.all_of(f.any_of(A, B), C)),
        ("a (b OR c) d", f.all_of(A, f.any_of(B, C), D)),
        ("((a))", A),
        ("-a", f.Not(A)),
        ("NOT a", f.Not(A)),
        ("NOT NOT a", A),
        ("--a", A),
        ("-(a OR b)", f.Not(f.any_of(A, B))),
        ("NOT (a b) c", f.all_of(f.Not(f.all_of(A, B)), C)),
        ("-a OR b", f.any_of(f.Not(A), B)),
        ("a-b", text("a-b")),
        ("a (b c)", f.all_of(A, B, C)),
        ("a OR (b OR c)", f.any_of(A, B, C)),
        ("a a", A),
    ],
)
def test_boolean_structure(query: str, expected: f.Node) -> None:
    assert parse(query) == expected


def test_the_example_of_the_spec() -> None:
    query = (
        'status:PENDING_SHIPMENT,PENDING_PICKUP store:SH001 paid:>=2026-11-01 total:>100 "张三" -channel:APP'
    )
    assert parse(query) == f.all_of(
        status(S.PENDING_SHIPMENT, S.PENDING_PICKUP),
        store("SH001"),
        f.time_in(f.TimeField.PAID, day(2026, 11, 1), None, ZONE),
        f.amount_in(10001, None),
        text("张三"),
        f.Not(f.enum_in(f.EnumField.CHANNEL, [OrderChannel.APP])),
    )


# ---- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ("stauts:PENDING_PAYMENT", 1, 'unknown field "stauts" at column 1 (did you mean "status"?)'),
        ("a colour:red", 3, 'unknown field "colour" at column 3'),
        (
            "status:PENDING_SHIPMENT,PENDNG_PICKUP",
            25,
            'unknown status "PENDNG_PICKUP" at column 25 (did you mean "PENDING_PICKUP"?)',
        ),
        ("status:待收货", 8, 'unknown status "待收货" at column 8'),
        ("store:SH001 (status:SHIPPED", 13, 'unbalanced parenthesis "(" at column 13: it is never closed'),
        ("(a OR (b)", 1, 'unbalanced parenthesis "(" at column 1: it is never closed'),
        ("store:SH001)", 12, 'unexpected ")" at column 12 (no matching "(")'),
        ("store:SH001 OR", 13, 'dangling "OR" at column 13: a term must follow it'),
        ("a AND OR b", 3, 'dangling "AND" at column 3: a term must follow it'),
        ("a OR)", 3, 'dangling "OR" at column 3: a term must follow it'),
        ("store:SH001 NOT", 13, 'dangling "NOT" at column 13: a term must follow it'),
        ("store:SH001 -", 13, 'dangling "-" at column 13: a term must follow it'),
        ("(- )", 2, 'dangling "-" at column 2: a term must follow it'),
        ("OR store:SH001", 1, 'unexpected "OR" at column 1: a term must come before it'),
        ("(AND a)", 2, 'unexpected "AND" at column 2: a term must come before it'),
        ('consignee:"张三', 11, "unterminated quote at column 11"),
        ("a “b", 3, "unterminated quote at column 3"),
        ("()", 1, "empty parentheses at column 1"),
        ("a (", 3, 'unbalanced parenthesis "(" at column 3: it is never closed'),
        ("NOT (", 5, 'unbalanced parenthesis "(" at column 5: it is never closed'),
        ("total:>", 7, 'missing value after ">" at column 7'),
        ("created:>=", 9, 'missing value after ">=" at column 9'),
        (":foo", 1, 'missing field name before ":" at column 1'),
        ("status:", 8, "missing value for status at column 8"),
        ("status:SHIPPED,", 16, "missing value for status at column 16"),
        ("status:,SHIPPED", 8, "missing value for status at column 8"),
        ("total:abc", 7, 'bad amount "abc" at column 7: expected yuan like 100 or 99.5'),
        ("total:>1.234", 8, 'bad amount "1.234" at column 8: expected yuan like 100 or 99.5'),
        ("total:<0", 7, "amounts are between 0 and 2147483647 cents at column 7"),
        ("total:1,2", 9, "total takes one value (use a..b for a range) at column 9"),
        ("total:9..1", 7, "amount range is empty: its minimum is above its maximum at column 7"),
        ("paid:>=2026-02-30", 8, 'bad date "2026-02-30" at column 8: expected YYYY-MM-DD or an ISO datetime'),
        ("created:2026-11-01..2026-13-01", 21, 'bad date "2026-13-01" at column 21'),
        ("created:..", 9, 'range ".." needs at least one end at column 9'),
        ("created:2026-11-05..2026-11-01", 9, "created range is empty: its end must come after its start"),
        ("created:9999-12-31", 9, 'bad date "9999-12-31" at column 9'),
        ("phone:12", 7, "phone takes the last 4 digits or the whole number at column 7"),
        ("buyerphone:12", 12, "buyerphone takes the last 4 digits or the whole number at column 12"),
        (
            "warehouse:shop",
            11,
            'unknown warehouse "shop" at column 11: expected one of hq, 总部, store, 门店',
        ),
        ("warehouse:hq,store", 14, "warehouse takes one value here at column 14"),
        ("campaign:any,3", 14, "campaign takes one value here at column 14"),
        ("campaign:3,none", 12, "campaign takes one value here at column 12"),
        ("campaign:abc", 10, 'campaign "abc" is neither a number nor a Campaign id at column 10'),
        (f"campaign:{encode_id('Store', 1)}", 10, "is neither a number nor a Campaign id"),
        ("campaign:0", 10, "campaign ids are positive integers at column 10"),
        ("a\x00b", 2, "unexpected control character U+0000 at column 2"),
        ('"a\x07"', 3, "unexpected control character U+0007 at column 3"),
        ("x" * 1001, 1001, "query is longer than 1000 characters at column 1001"),
        ("(" * 21 + "a" + ")" * 21, 21, "query nests deeper than 20 levels at column 21"),
        ("NOT " * 21 + "a", 81, "query nests deeper than 20 levels at column 81"),
        ("consignee:" + "长" * 101, 11, "consignee must be at most 100 characters at column 11"),
    ],
)
def test_errors_name_the_column(query: str, column: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(query)
    error = info.value
    assert error.column == column
    assert message in error.message
    assert f"at column {column}" in error.message
    assert error.code is ErrorCode.INVALID_QUERY_SYNTAX
    assert error.field == "query"
    assert error.extensions == {"column": column}


def test_a_deep_but_allowed_query_parses() -> None:
    assert parse("(" * 20 + "a" + ")" * 20) == A
    assert parse("x" * 100) == text("x" * 100)
