"""The event bus: RabbitMQ in production, an in-process twin for the embedded default.

- `bus`: what producers and consumers see (`MessageBus`, `OutgoingMessage`, `QueueSpec`).
- `dispatch`: what becomes of one delivery (ack, retry later, park), shared by both buses.
- `topology`: the exchanges and queues on RabbitMQ, and the headers Guichet sets.
- `rabbitmq`: the RabbitMQ bus and its consumer.
- `inprocess`: the in-process bus of `guichet up`.
"""
