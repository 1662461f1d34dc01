"""Follow-up of recommendations after the event: delegates prompted in the chat, every status
change kept, silence and lateness escalated to organizers, digests to participants."""
