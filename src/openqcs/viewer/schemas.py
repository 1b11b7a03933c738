"""Wire shapes of the viewer operations, with the spec's field names."""

from __future__ import annotations

from datetime import datetime

import msgspec


class AnnouncementOut(msgspec.Struct):
    id: int
    contentHtml: str
    createdAt: datetime
    active: bool


class AnnouncementsResponse(msgspec.Struct, omit_defaults=True):
    announcements: list[AnnouncementOut]
    # Omitted on the last page (an empty string makes Rigetti's SDKs loop).
    nextPageToken: str | None = None


class UpdateViewerUserProfileRequest(msgspec.Struct):
    firstName: str
    lastName: str
    organization: str


class UserProfile(msgspec.Struct):
    email: str
    firstName: str
    lastName: str
    organization: str


class UserOut(msgspec.Struct):
    id: int
    idpId: str
    createdTime: datetime
    profile: UserProfile


class ViewerUserOnboardingCompleted(msgspec.Struct):
    onboardingCompleted: bool
