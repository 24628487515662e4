"""Moving in and out: promptfoo configs and GitHub Models prompt files to promptops projects and back."""
