"""The HTTP app's parts besides /graphql's gate: endpoints, middleware, subscriptions, logs."""
