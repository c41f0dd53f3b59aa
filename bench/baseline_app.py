"""The baseline for bench/intake.py: parse the same JSON body and insert one row, nothing else."""

from __future__ import annotations

import os

from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert

from openum.db import make_engine
from openum.intake.schemas import SubmitRequest

metadata = MetaData()
bare = Table("bench_bare", metadata, Column("id", Integer, primary_key=True),
             Column("member_id", String(32)), Column("body", Text))
engine = make_engine(os.environ["OPENUM_DATABASE_URL"])
metadata.create_all(engine)
app = FastAPI()


@app.post("/bare", status_code=201)
def bare_insert(body: SubmitRequest) -> dict[str, int]:
    with engine.begin() as conn:
        row = conn.execute(insert(bare).values(member_id=body.member.member_id,
                                               body=body.model_dump_json()).returning(bare.c.id))
        return {"id": row.scalar_one()}
