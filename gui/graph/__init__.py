"""The model graph view: a level-of-detail canvas over a laid-out :class:`ModelGraph`."""
