"""邀请有礼: attribution and rewards, and the inviter's own view."""
