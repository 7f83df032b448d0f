"""Roles, each visitor's folder and path confinement, without a live app (the rules the handlers apply)."""

import os
import time
from types import SimpleNamespace

import pytest

from ocr_space.ui.access import AccessDenied, Visitor, visitor
from ocr_space.workspace import PathNotAllowed, clean_temp_folders, visitor_key


@pytest.fixture
def public(tmp_path, monkeypatch):
    """A Space owned by ``owner`` whose trainers are alice and the owner; every folder under tmp_path."""
    monkeypatch.setenv("SPACE_ID", "owner/ocr-space")
    monkeypatch.setenv("SPACE_AUTHOR_NAME", "owner")
    monkeypatch.setenv("OCR_SPACE_TRAINERS", "alice,owner")
    monkeypatch.setenv("OCR_SPACE_USERS", str(tmp_path / "users"))
    monkeypatch.setenv("OCR_SPACE_SHARED_ROOTS", str(tmp_path / "shared"))
    (tmp_path / "shared").mkdir()
    return tmp_path


def _visitor(name=None, session="s1", token=None):
    return visitor(SimpleNamespace(session_hash=session), {"preferred_username": name} if name else None,
                   SimpleNamespace(token=token) if token else None)


def test_locally_everything_is_open_and_the_machines_token_is_used(monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.delenv("OCR_SPACE_HOST", raising=False)
    person = _visitor()
    assert person == Visitor.local() and person.may_train and person.hub_read_token() is None
    assert person.workspace.confine("/etc") == person.workspace.confine("/etc")  # no confinement
    assert person.push_token("") is None


def test_a_non_loopback_address_is_public_too(monkeypatch, tmp_path):
    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.setenv("OCR_SPACE_HOST", "0.0.0.0")
    monkeypatch.setenv("OCR_SPACE_USERS", str(tmp_path))
    person = _visitor()
    assert person.public and not person.may_train
    with pytest.raises(AccessDenied):
        person.push_token("")  # off a Space on a public address a push needs a typed token
    assert person.push_token(" hf_typed ") == "hf_typed"


def test_roles_anonymous_signed_in_and_trainers(public):
    with pytest.raises(AccessDenied, match="Sign in"):
        _visitor().require_trainer()
    with pytest.raises(AccessDenied, match="Sign in"):
        _visitor().require_signed_in("cancel")
    with pytest.raises(AccessDenied, match="dave is not on this Space's list of trainers"):
        _visitor("dave").require_trainer()
    _visitor("dave").require_signed_in("push")
    _visitor("alice").require_trainer()


def test_hub_reads_carry_the_visitors_rights_never_the_owners_token(public):
    assert _visitor().hub_read_token() is False  # anonymous: no token at all
    assert _visitor("dave", token="hf_dave").hub_read_token() == "hf_dave"
    assert _visitor("dave").hub_read_token() is False
    assert _visitor("owner").hub_read_token() is None  # the owner signed in: HF_TOKEN may be used
    assert _visitor(None, token="hf_forged").hub_read_token() is False  # a token without a session is ignored


def test_paths_outside_the_visitors_folder_get_one_message_whether_they_exist_or_not(public):
    space = _visitor("alice").workspace
    assert space.root == (public / "users" / "u-alice").resolve()
    (space.root / "datasets" / "mine").mkdir(parents=True)
    assert space.confine("datasets/mine") == space.root / "datasets" / "mine"
    assert space.confine(str(space.root / "datasets" / "mine")) == space.root / "datasets" / "mine"
    (public / "users" / "u-bob").mkdir(parents=True)
    messages = set()
    for outside in ("/etc", "/no/such/folder", "../u-bob", "datasets/../../u-bob", str(public / "users" / "u-bob"),
                    "~/.ssh"):
        with pytest.raises(PathNotAllowed) as caught:
            space.confine(outside)
        messages.add(str(caught.value).replace(repr(outside), "PATH"))
    assert len(messages) == 1 and "is not one of your folders" in messages.pop()


def test_a_symlink_out_of_the_folder_is_followed_and_refused(public):
    space = _visitor("alice").workspace
    (space.root / "datasets").mkdir(parents=True)
    os.symlink(public / "users", space.root / "datasets" / "door")
    with pytest.raises(PathNotAllowed):
        space.confine("datasets/door/u-bob")


def test_shared_roots_are_readable_but_not_writable_and_hub_ids_pass(public):
    space = _visitor("alice").workspace
    assert space.confine(str(public / "shared")) == (public / "shared").resolve()
    with pytest.raises(PathNotAllowed):
        space.confine(str(public / "shared"), writable=True)
    assert space.reference("deepseek-community/DeepSeek-OCR-2") == "deepseek-community/DeepSeek-OCR-2"
    assert space.reference("mnist", owner_optional=True) == "mnist"
    with pytest.raises(PathNotAllowed):
        space.reference("/etc")


def test_visitor_keys_are_safe_folder_names():
    assert visitor_key("Alice", "x") == "u-alice"
    assert visitor_key(None, "../../etc") .startswith("s-") and "/" not in visitor_key(None, "../../etc")


def test_old_temp_and_anonymous_folders_are_swept_new_ones_kept(public, tmp_path):
    old, new = tmp_path / "ocr-space-compare-old", tmp_path / "ocr-space-compare-new"
    anonymous, signed_in = public / "users" / "s-old", public / "users" / "u-alice"
    for folder in (old, new, anonymous, signed_in):
        folder.mkdir(parents=True)
    for folder in (old, anonymous, signed_in):
        os.utime(folder, (time.time() - 3 * 86400,) * 2)
    assert clean_temp_folders(24, tmp_path) == 2
    assert not old.exists() and new.exists() and not anonymous.exists() and signed_in.exists()
