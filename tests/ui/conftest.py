"""Fixtures for the UI tests."""

import pytest


@pytest.fixture(scope="session")
def model_folders(tmp_path_factory):
    """{family name: a folder holding the config.json that save_pretrained writes for the family's tiny config}."""
    from ocr_space.models.registry import families

    folders = {}
    for name, family in families().items():
        config = family.tiny_config(vocab_size=64, bos_token_id=0, eos_token_id=1, pad_token_id=2, image_token_id=3)
        folders[name] = tmp_path_factory.mktemp(name)
        config.save_pretrained(folders[name])
    return folders


@pytest.fixture(scope="session")
def space(tiny_model_dir, hub_server, tmp_path_factory):  # noqa: F811 - the fixture imported above
    """app.py as a public Space (one for all public-mode tests): alice, bob and the owner may train, others may
    not; HF_TOKEN is the owner's; the Hub is the local test server. Yields (Visitors, the folder holding it all)."""
    from support.live_app import running_app
    from support.space_app import OWNER, OWNER_TOKEN, Visitors, space_env

    root = tmp_path_factory.mktemp("space")
    env = space_env(root, tiny_model_dir, trainers=f"alice,bob,{OWNER}",
                    extra={"HF_TOKEN": OWNER_TOKEN, "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": hub_server.endpoint,
                           "HF_HOME": str(root / "hf-home")})
    with running_app(env, root / "app.log") as url:
        yield Visitors(url), root
