from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.campaigns.rows import campaign_status
from models.enums import CampaignStatus

START = datetime(2026, 11, 1, tzinfo=UTC)
END = START + timedelta(days=10)


def test_calendar() -> None:
    assert campaign_status(START, END, None, START - timedelta(seconds=1)) is CampaignStatus.NOT_STARTED
    assert campaign_status(START, END, None, START) is CampaignStatus.ONGOING
    assert campaign_status(START, END, None, END - timedelta(seconds=1)) is CampaignStatus.ONGOING
    assert campaign_status(START, END, None, END) is CampaignStatus.ENDED


def test_stopped_wins_once_stopped_but_not_after_a_natural_end() -> None:
    stopped = START + timedelta(days=2)
    assert campaign_status(START, END, stopped, stopped - timedelta(seconds=1)) is CampaignStatus.ONGOING
    assert campaign_status(START, END, stopped, stopped) is CampaignStatus.STOPPED
    assert campaign_status(START, END, stopped, END + timedelta(days=1)) is CampaignStatus.STOPPED
    assert (
        campaign_status(START, END, END + timedelta(hours=1), END + timedelta(days=1)) is CampaignStatus.ENDED
    )
    # stopped before it even started
    assert campaign_status(START, END, START - timedelta(days=1), START) is CampaignStatus.STOPPED
