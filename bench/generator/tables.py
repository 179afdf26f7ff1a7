"""Column order of every generated row, and the order in which tables are written.

Builders create plain tuples (several times cheaper than dicts at millions of rows); this module
is the single place saying which position holds which column. `check_columns` verifies at start
that every table's list names exactly its columns, so a model change cannot silently shift data
(SQLAlchemy's `default=` values are client-side, so a column missing here would be NULL).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Table

import models
from models.base import Base


def _cols(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "stores": _cols(
        "id code name province city district address latitude longitude phone status size "
        "business_hours delivery_radius_m min_order_amount delivery_fee delivery_fee_slots packaging_fee "
        "supports_self_pickup supports_store_delivery supports_express auto_accept takes_pre_orders "
        "pre_order_days instant_refund created_at "
        "updated_at delivery_minutes"
    ),
    "staff_accounts": _cols("id username display_name phone role parent_id enabled created_at last_login_at"),
    "staff_stores": _cols("staff_id store_id"),
    "categories": _cols("id parent_id name level sort_order created_at"),
    "products": _cols(
        "id category_id name subtitle description image_url image_urls weight_g status created_at updated_at"
    ),
    "skus": _cols("id product_id sku_code barcode spec price original_price image_url weight_g created_at"),
    "store_skus": _cols("id store_id sku_id price_override stock on_shelf purchase_limit updated_at"),
    "customers": _cols(
        "id nickname avatar_url phone phone_last4 member_level points invite_code invited_by_id "
        "registered_at first_paid_at last_order_at"
    ),
    "campaigns": _cols(
        "id type name description all_stores starts_at ends_at stopped_at priority created_by created_at "
        "updated_at opt_in"
    ),
    "campaign_stores": _cols("campaign_id store_id"),
    "campaign_opt_ins": _cols("campaign_id store_id opted_in_at opted_out_at changed_by"),
    "campaign_products": _cols("campaign_id product_id"),
    "invite_rules": _cols(
        "campaign_id trigger inviter_reward_kind inviter_reward_value invitee_reward_kind "
        "invitee_reward_value cap_per_inviter"
    ),
    "spend_reward_rules": _cols("campaign_id threshold_kind product_scope"),
    "spend_reward_tiers": _cols("id campaign_id threshold reduction_amount gift_sku_id gift_quantity"),
    "group_buy_rules": _cols("campaign_id kind team_size validity_hours per_customer_limit"),
    "group_buy_skus": _cols("campaign_id sku_id group_price"),
    "product_discount_rules": _cols("campaign_id percent_off"),
    "item_price_skus": _cols("campaign_id sku_id price stock sold per_customer_limit"),
    "flash_sale_takes": _cols("id campaign_id sku_id order_id customer_id quantity released_at"),
    "order_discount_rules": _cols("campaign_id threshold_kind cap bundle_size bundle_price"),
    "order_discount_tiers": _cols("id campaign_id threshold percent_off"),
    "buy_gift_rules": _cols("campaign_id buy_quantity gift_sku_id gift_quantity stock given"),
    "group_buy_teams": _cols(
        "id campaign_id leader_customer_id store_id status team_size member_count paid_count "
        "opened_at expires_at succeeded_at failed_at version"
    ),
    "orders": _cols(
        "id order_no merchant_order_no store_id customer_id channel type fulfillment status payment_method "
        "goods_amount goods_original_amount discount_amount delivery_fee packaging_fee "
        "payable_amount paid_amount refunded_amount consignee_name consignee_phone "
        "consignee_phone_last4 consignee_province consignee_city consignee_district "
        "consignee_address consignee_latitude consignee_longitude pickup_code buyer_remark "
        "cancel_reason reject_reason campaign_id spend_reward_tier_id team_id created_at "
        "payment_deadline paid_at grouped_at accepted_at rejected_at allocated_at shipped_at "
        "completed_at cancelled_at closed_at booked_for accept_from accept_reminded_at pick_reminded_at "
        "updated_at version delivery_stage picked_at "
        "rider_assigned_at delivered_at promised_at"
    ),
    "deliveries": _cols(
        "order_id source platform external_id rider_name rider_phone requested_at latitude longitude "
        "position_at updated_at"
    ),
    "order_lines": _cols(
        "id order_id sku_id product_id product_name spec image_url unit_price original_price "
        "quantity discount_share paid_amount is_gift shipped_quantity refunded_quantity "
        "refunded_amount order_created_at order_paid_at order_status"
    ),
    "order_events": _cols(
        "id order_id store_id action from_status to_status actor_type actor_id payload created_at"
    ),
    "allocation_records": _cols(
        "id order_id from_store_id to_store_id reason actor_type actor_id created_at"
    ),
    "parcels": _cols("id order_id carrier tracking_no shipped_at latest_state"),
    "parcel_lines": _cols("parcel_id order_line_id quantity"),
    "parcel_traces": _cols("id parcel_id occurred_at location description state"),
    "after_sales": _cols(
        "id after_sale_no order_id store_id customer_id type initiator status reason "
        "evidence_urls refund_amount reject_reason return_carrier return_tracking_no created_at "
        "reviewed_at return_shipped_at refunded_at closed_at updated_at version "
        "replacement_carrier replacement_tracking_no replacement_shipped_at"
    ),
    "after_sale_escalations": _cols(
        "id after_sale_id order_id store_id state from_status raised_by_type raised_by_id reason evidence "
        "verdict_note decided_by_id created_at decided_at version"
    ),
    "after_sale_lines": _cols("after_sale_id order_line_id quantity amount is_open"),
    "after_sale_events": _cols(
        "id after_sale_id action from_status to_status actor_type actor_id payload created_at"
    ),
    "payment_transactions": _cols(
        "id transaction_no kind order_id after_sale_id method amount status attempts "
        "next_attempt_at gateway_reference last_error created_at completed_at coupon_purchase_id"
    ),
    "compensation_claims": _cols(
        "id order_id store_id cause state asked_amount compensation_amount note evidence_urls "
        "raised_by_type raised_by_id verdict_note after_sale_id created_at decided_at paid_at version"
    ),
    "reviews": _cols(
        "id order_id order_line_id product_id sku_id store_id customer_id rating content "
        "image_urls reply replied_at hidden created_at"
    ),
    "group_buy_team_members": _cols("id team_id customer_id order_id is_leader joined_at paid_at"),
    "invite_records": _cols("id campaign_id inviter_id invitee_id registered_at first_order_id"),
    "invite_rewards": _cols(
        "id campaign_id invite_record_id customer_id role kind value status order_id grant_after "
        "granted_at created_at"
    ),
    "coupon_templates": _cols(
        "id code name type amount_off percent_off cap threshold_kind threshold total_stock issued_count "
        "per_customer_limit valid_from valid_until valid_days product_ids category_ids store_ids channels "
        "campaign_id description stopped_at created_at updated_at reserved_count sale_price "
        "restore_on_refund claim_path fulfillments"
    ),
    "customer_coupons": _cols(
        "id customer_id amount min_spend title campaign_id invite_reward_id status issued_at expires_at "
        "used_order_id code template_id type percent_off cap threshold_kind product_ids category_ids "
        "store_ids channels claim_seq valid_from locked_order_id used_at issue_cause restore_on_refund "
        "fulfillments"
    ),
    "coupon_ledger": _cols("id coupon_id action order_id actor note created_at store_id"),
    "coupon_issue_rules": _cols(
        "id name kind template_id starts_at ends_at store_ids channels min_paid min_rating invite_role "
        "invite_campaign_id helpers_needed assist_hours stopped_at created_by created_at updated_at"
    ),
    "coupon_issues": _cols("id rule_id cause_id customer_id outcome skip_reason coupon_id created_at"),
    "coupon_assists": _cols(
        "id rule_id starter_id status open_key helpers_needed helper_count started_at expires_at "
        "completed_at expired_at"
    ),
    "coupon_assist_helpers": _cols("id assist_id helper_id joined_at"),
    "coupon_purchases": _cols(
        "id purchase_no template_id customer_id price status coupon_id payment_deadline created_at "
        "paid_at refunded_at expired_at"
    ),
    "coupon_push_jobs": _cols(
        "id template_id owner_key owner_role owner_store_ids target_kind target state targeted issued "
        "skipped_already_has skipped_limit skipped_stock attempt error created_at started_at "
        "heartbeat_at finished_at"
    ),
    "coupon_push_recipients": _cols("id job_id customer_id outcome coupon_id"),
    "order_adjustments": _cols("id order_id layer label amount source_id line_shares"),
    "visit_events": _cols(
        "id event_id visitor_id customer_id session_id page_type product_id campaign_id store_id "
        "source dwell_ms occurred_at received_at"
    ),
}

WRITE_ORDER: Final[tuple[str, ...]] = (
    "stores",
    "staff_accounts",
    "staff_stores",
    "categories",
    "products",
    "skus",
    "store_skus",
    "customers",
    "campaigns",
    "campaign_stores",
    "campaign_opt_ins",
    "campaign_products",
    "invite_rules",
    "spend_reward_rules",
    "spend_reward_tiers",
    "coupon_templates",
    "group_buy_rules",
    "group_buy_skus",
    "item_price_skus",
    "product_discount_rules",
    "order_discount_rules",
    "order_discount_tiers",
    "buy_gift_rules",
    "group_buy_teams",
    "orders",
    "order_lines",
    "order_events",
    "allocation_records",
    "deliveries",
    "parcels",
    "parcel_lines",
    "parcel_traces",
    "after_sales",
    "after_sale_lines",
    "after_sale_events",
    "after_sale_escalations",
    "compensation_claims",
    "reviews",
    "group_buy_team_members",
    "invite_records",
    "invite_rewards",
    "customer_coupons",
    "coupon_ledger",
    "coupon_issue_rules",
    "coupon_issues",
    "coupon_assists",
    "coupon_assist_helpers",
    "coupon_purchases",
    "payment_transactions",
    "coupon_push_jobs",
    "coupon_push_recipients",
    "order_adjustments",
    "flash_sale_takes",
    "visit_events",
)
"""Foreign-key order: a table comes after every table it references."""

NOT_GENERATED: Final = frozenset(
    {
        "idempotency_records",
        "action_logs",
        "order_count_parts",
        "order_day_count_parts",
        "order_day_count_merges",
        "order_day_offsets",
        "order_line_names",
        "order_consignee_names",
        "export_jobs",
        "customer_identities",
        "shopper_sessions",
        "refresh_tokens",
        "order_watches",
        "webhook_nonces",
        "delivery_alerts",
        "after_sale_replacements",
    }
)
"""Tables the generator does not write: request bookkeeping, the back office's own history, the
order count parts and the line-name and consignee-name dictionaries (triggers write those; the day
parts' zone offsets and merge mark are written by the migration or `ensure_day_parts` after the
load), export jobs (made by their callers), watch lists (each user's own) and exchanges' other specs
(the demo's exchanges send the line's own SKU)."""

DERIVED_PREFIX: Final = "metrics_"
"""Rollups are derived from the generated rows by the metrics refresh, never written here."""


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def check_columns() -> None:
    """Fail fast if the models and the generator's column lists drifted apart."""
    assert models.Base is Base
    expected = {
        t for t in Base.metadata.tables if t not in NOT_GENERATED and not t.startswith(DERIVED_PREFIX)
    }
    if expected != set(COLUMNS) or set(WRITE_ORDER) != set(COLUMNS):
        raise RuntimeError(f"generator tables differ from the models: {sorted(expected ^ set(COLUMNS))}")
    for name, columns in COLUMNS.items():
        actual = {c.name for c in table(name).columns}
        if set(columns) != actual or len(columns) != len(actual):
            raise RuntimeError(
                f"generator columns of {name} differ from the model: {sorted(actual ^ set(columns))}"
            )
