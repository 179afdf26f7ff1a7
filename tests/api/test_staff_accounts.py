"""Staff accounts (账号权限): HQ configures all, a main account its sub-accounts; the 操作日志."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models.enums import Role, StaffRole
from models.stores.rows import StaffAccount, StaffStore
from tests.api.back_office import ERRORS, as_account, gid, key, payload, refusal
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import Seed

ACCOUNT = "id username displayName role enabled isMainAccount parent { username } stores { code }"
CREATE = f"""mutation($input: CreateStaffAccountInput!) {{
  createStaffAccount(input: $input) {{ staffAccount {{ {ACCOUNT} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateStaffAccountInput!) {{
  updateStaffAccount(input: $input) {{ staffAccount {{ {ACCOUNT} }} {ERRORS} }} }}"""
LIST = """query($f: StaffAccountFilter) { staffAccounts(first: 20, filter: $f) {
  totalCount edges { node { username } } } }"""
LOGS = """query($f: ActionLogFilter) { actionLogs(first: 20, filter: $f) { edges { node {
  actorType actorId entityType entityId action changes store { code } } } } }"""


def account(
    username: str, role: str = "STORE_STAFF", stores: tuple[int, ...] = (), **kw: Any
) -> dict[str, Any]:
    return {
        "username": username,
        "displayName": f"员工{username}",
        "role": role,
        "storeIds": [gid("Store", s) for s in stores],
        "idempotencyKey": key(),
        **kw,
    }


async def test_hq_creates_main_accounts_and_a_main_account_its_sub_accounts(
    api: Api, seed: Seed, db: Database
) -> None:
    sh1, sh2, bj = await seed.store("SH001"), await seed.store("SH002"), await seed.store("BJ001")
    hq = api.as_hq()
    main = payload(
        await hq.execute(CREATE, input=account("sh_manager", stores=(sh1.id, sh2.id))), "createStaffAccount"
    )
    assert main["staffAccount"]["isMainAccount"] is True
    assert [s["code"] for s in main["staffAccount"]["stores"]] == ["SH001", "SH002"]
    # the store manager signs in as itself and configures a cashier for one of its stores
    manager = as_account(api, "sh_manager", store_ids=[sh1.id, sh2.id])
    sub = payload(
        await manager.execute(CREATE, input=account("sh_cashier", stores=(sh1.id,))), "createStaffAccount"
    )
    assert sub["staffAccount"]["parent"] == {"username": "sh_manager"}
    assert sub["staffAccount"]["isMainAccount"] is False
    refusals = [
        (account("x_hq", role="HQ_ADMIN"), [("FORBIDDEN", "role")]),
        (account("x_bj", stores=(bj.id,)), [("FORBIDDEN", "storeIds")]),
        (account("sh_cashier", stores=(sh1.id,)), [("DUPLICATE_CODE", "username")]),
        (account("x_none"), [("BAD_USER_INPUT", "storeIds")]),
        (account("Bad Name", stores=(sh1.id,)), [("BAD_USER_INPUT", "username")]),
    ]
    for variables, expected in refusals:
        assert refusal(await manager.execute(CREATE, input=variables), "createStaffAccount") == expected
    # a sub-account configures nobody; an analyst may not even ask
    cashier = as_account(api, "sh_cashier", store_ids=[sh1.id])
    r = await cashier.execute(CREATE, input=account("x_sub", stores=(sh1.id,)))
    assert refusal(r, "createStaffAccount") == [("FORBIDDEN", None)]
    r = await api.as_role(Role.ANALYST).execute(CREATE, input=account("x_an", role="ANALYST"))
    assert r.error_codes == ["FORBIDDEN"]
    # HQ: a sub-account must stay within its main account's stores
    r = await hq.execute(
        CREATE, input=account("x_wide", stores=(bj.id,), parentId=main["staffAccount"]["id"])
    )
    assert refusal(r, "createStaffAccount") == [("FORBIDDEN", "storeIds")]
    async with db.sessions() as s:
        names = sorted((await s.scalars(select(StaffAccount.username))).all())
    assert names == ["sh_cashier", "sh_manager"]


async def test_enable_disable_roles_and_scope_changes(api: Api, seed: Seed, db: Database) -> None:
    sh1, sh2 = await seed.store("SH001"), await seed.store("SH002")
    main = await seed.staff("sh_manager", stores=[sh1, sh2])
    sub = await seed.staff("sh_cashier", stores=[sh1], parent=main)
    other = await seed.staff("sh2_manager", stores=[sh2])
    manager = as_account(api, "sh_manager", store_ids=[sh1.id, sh2.id])

    def upd(target: StaffAccount, **kw: Any) -> dict[str, Any]:
        return {"staffAccountId": gid("StaffAccount", target.id), **kw}

    r = await manager.execute(UPDATE, input=upd(sub, enabled=False, storeIds=[gid("Store", sh2.id)]))
    assert payload(r, "updateStaffAccount")["staffAccount"]["enabled"] is False
    assert refusal(await manager.execute(UPDATE, input=upd(other, enabled=False)), "updateStaffAccount") == [
        ("NOT_FOUND", "staffAccountId")
    ]
    assert refusal(await manager.execute(UPDATE, input=upd(sub, role="HQ_ADMIN")), "updateStaffAccount") == [
        ("FORBIDDEN", "role")
    ]
    hq = as_account(api, "admin", Role.HQ_ADMIN)
    # the main account keeps the stores its sub-accounts still work in
    r = await hq.execute(UPDATE, input=upd(main, storeIds=[gid("Store", sh1.id)]))
    assert refusal(r, "updateStaffAccount") == [("BAD_USER_INPUT", "storeIds")]
    r = await hq.execute(UPDATE, input=upd(other, role="ANALYST", storeIds=[]))
    assert payload(r, "updateStaffAccount")["staffAccount"]["role"] == "ANALYST"
    admin = await seed.staff("admin", role=StaffRole.HQ_ADMIN)
    assert refusal(await hq.execute(UPDATE, input=upd(admin, enabled=False)), "updateStaffAccount") == [
        ("FORBIDDEN", "enabled")
    ]
    async with db.sessions() as s:
        stores = (await s.scalars(select(StaffStore.store_id).where(StaffStore.staff_id == sub.id))).all()
    assert list(stores) == [sh2.id]
    # the log shows who changed what
    r = await hq.execute(LOGS, f={"entityId": gid("StaffAccount", sub.id)})
    assert r.errors == []
    [entry] = [e["node"] for e in r.data["actionLogs"]["edges"]]
    assert (entry["actorType"], entry["actorId"], entry["action"]) == ("STAFF", "sh_manager", "UPDATE")
    assert entry["changes"] == {"enabled": [True, False], "store_ids": [[sh1.id], [sh2.id]]}


async def test_who_sees_which_accounts_and_log_entries(api: Api, seed: Seed) -> None:
    sh1, sh2 = await seed.store("SH001"), await seed.store("SH002")
    await seed.staff("sh1_manager", stores=[sh1])
    await seed.staff("sh2_manager", stores=[sh2])
    await seed.staff("admin", role=StaffRole.HQ_ADMIN)
    r = await api.as_hq().execute(LIST)
    assert r.data["staffAccounts"]["totalCount"] == 3
    r = await api.as_staff(sh1.id).execute(LIST)
    assert [e["node"]["username"] for e in r.data["staffAccounts"]["edges"]] == ["sh1_manager"]
    r = await api.as_hq().execute(LIST, f={"role": ["HQ_ADMIN"]})
    assert [e["node"]["username"] for e in r.data["staffAccounts"]["edges"]] == ["admin"]
    # store settings changed in both stores: each store's staff see their own entries only
    update = "mutation($input: UpdateStoreInput!) { updateStore(input: $input) { userErrors { code } } }"
    for store in (sh1, sh2):
        r = await api.as_hq().execute(update, input={"storeId": gid("Store", store.id), "autoAccept": True})
        assert r.data["updateStore"]["userErrors"] == []
    r = await api.as_staff(sh1.id).execute(LOGS)
    assert [e["node"]["store"]["code"] for e in r.data["actionLogs"]["edges"]] == ["SH001"]
    r = await api.as_hq().execute(LOGS, f={"entityType": "STORE"})
    assert len(r.data["actionLogs"]["edges"]) == 2
    r = await api.as_role(Role.ANALYST).execute(LOGS)
    assert r.error_codes == ["FORBIDDEN"]
