"""Identity and access: who acts (:class:`~access.actor.Actor`), in which role, and what they may do."""
