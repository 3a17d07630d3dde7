"""api_log: error capture, the ApiLog model and admin, and the batched shipping task."""
