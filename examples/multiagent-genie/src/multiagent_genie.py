"""Multi-agent system answering SEC financial questions with Databricks Genie.

A supervisor routes each question either to a single Genie agent or to a parallel executor that
fans out several Genie queries at once; a final-answer node writes the reply.
"""

import asyncio
import functools
from datetime import date
from typing import Any, Generator, Literal, Optional
from uuid import uuid4

import mlflow
from databricks.sdk import WorkspaceClient
from databricks_langchain import ChatDatabricks
from databricks_langchain.genie import GenieAgent
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langgraph.graph import END, StateGraph
from langgraph.graph.message import add_messages
from mlflow.langchain.chat_agent_langgraph import ChatAgentState
from mlflow.pyfunc import ChatAgent
from mlflow.types.agent import ChatAgentChunk, ChatAgentMessage, ChatAgentResponse, ChatContext
from pydantic import BaseModel, Field

# mlflow.langchain.autolog()

model_config = mlflow.models.ModelConfig(development_config="configs.yaml")
databricks_configs = model_config.get("databricks_configs")
agent_configs = model_config.get("agent_configs")

supervisor_config = agent_configs.get("supervisor_agent")
MAX_ITERATIONS = supervisor_config.get("max_iterations")
GENIE_SPACE_ID = databricks_configs["genie_space_id"]
LLM_ENDPOINT_NAME = agent_configs["llm"]["endpoint_name"]

llm = ChatDatabricks(endpoint=LLM_ENDPOINT_NAME, temperature=0.1)


def get_temporal_context(today: Optional[date] = None) -> dict:
    """Current calendar and fiscal period, used to resolve 'last year' or 'this quarter'."""
    today = today or date.today()
    fiscal_year = today.year if today.month >= 10 else today.year - 1
    quarter = (today.month - 1) // 3 + 1
    return {
        "current_date": today.isoformat(),
        "current_year": today.year,
        "current_quarter": f"Q{quarter}",
        "fiscal_year": fiscal_year,
        "last_fiscal_year": fiscal_year - 1,
    }


def format_temporal_context(ctx: dict) -> str:
    return (
        f"Today is {ctx['current_date']} (calendar Q{ctx['current_quarter'][1:]} {ctx['current_year']}). "
        f"The current fiscal year is FY{ctx['fiscal_year']}; the last complete one is "
        f"FY{ctx['last_fiscal_year']}."
    )


genie_agent = GenieAgent(
    genie_space_id=GENIE_SPACE_ID,
    genie_agent_name="Genie",
    description=agent_configs["genie_agent"]["description"],
    client=WorkspaceClient(
        host=databricks_configs["workspace_url"],
        token=dbutils.secrets.get(  # noqa: F821 - provided by the Databricks runtime
            scope=databricks_configs["databricks_pat"]["secret_scope_name"],
            key=databricks_configs["databricks_pat"]["secret_key_name"],
        ),
    ),
)


class AgentState(ChatAgentState):
    next_node: str
    iteration_count: int
    research_plan: dict


class NextNode(BaseModel):
    """Routing decision of the supervisor."""

    next_node: Literal["genie", "parallel_executor", "final_answer"]
    reason: str = Field(description="Why this worker fits the question")


class ResearchPlan(BaseModel):
    queries: list[str] = Field(description="Independent Genie questions to run concurrently")


@mlflow.trace(span_type="AGENT", name="supervisor")
def supervisor_agent(state: AgentState) -> dict:
    count = state.get("iteration_count", 0) + 1
    if count > MAX_ITERATIONS:
        return {"next_node": "final_answer", "iteration_count": count}
    prompt = supervisor_config["system_prompt"].format(
        temporal_context=format_temporal_context(get_temporal_context())
    )
    router = llm.with_structured_output(NextNode)
    decision = router.invoke([SystemMessage(content=prompt)] + state["messages"])
    return {"next_node": decision.next_node, "iteration_count": count}


@mlflow.trace(span_type="AGENT", name="genie")
def genie_node(state: AgentState) -> dict:
    result = genie_agent.invoke(state)
    return {"messages": [AIMessage(content=result["messages"][-1].content, name="Genie")]}


async def _run_queries(queries: list[str]) -> list[Any]:
    calls = [
        asyncio.to_thread(genie_agent.invoke, {"messages": [HumanMessage(content=q)]}) for q in queries
    ]
    return await asyncio.gather(*calls)


def parallel_executor_node(state: AgentState) -> dict:
    planner = llm.with_structured_output(ResearchPlan)
    plan = planner.invoke(state["messages"])
    results = asyncio.run(_run_queries(plan.queries))
    text = "\n\n".join(r["messages"][-1].content for r in results)
    return {"messages": [AIMessage(content=text, name="ParallelExecutor")]}


def final_answer(state: AgentState) -> dict:
    prompt = agent_configs["supervisor_agent"]["final_answer_prompt"]
    answer = llm.invoke([SystemMessage(content=prompt)] + state["messages"])
    return {"messages": [answer]}


workflow = StateGraph(AgentState)
workflow.add_node("supervisor", supervisor_agent)
workflow.add_node("genie", genie_node)
workflow.add_node("parallel_executor", parallel_executor_node)
workflow.add_node("final_answer", final_answer)
workflow.set_entry_point("supervisor")
workflow.add_conditional_edges(
    "supervisor",
    lambda state: state["next_node"],
    {
        "genie": "genie",
        "parallel_executor": "parallel_executor",
        "final_answer": "final_answer",
    },
)
workflow.add_edge("genie", "supervisor")
workflow.add_edge("parallel_executor", "supervisor")
workflow.add_edge("final_answer", END)
multi_agent = workflow.compile()


class LangGraphChatAgent(ChatAgent):
    def __init__(self, agent):
        self.agent = agent

    def predict(
        self,
        messages: list[ChatAgentMessage],
        context: Optional[ChatContext] = None,
        custom_inputs: Optional[dict[str, Any]] = None,
    ) -> ChatAgentResponse:
        request = {"messages": self._convert_messages_to_dict(messages)}
        out = []
        for event in self.agent.stream(request, stream_mode="updates"):
            for node_data in event.values():
                out.extend(ChatAgentMessage(**m) for m in node_data.get("messages", []))
        return ChatAgentResponse(messages=out)

    def predict_stream(
        self,
        messages: list[ChatAgentMessage],
        context: Optional[ChatContext] = None,
        custom_inputs: Optional[dict[str, Any]] = None,
    ) -> Generator[ChatAgentChunk, None, None]:
        request = {"messages": self._convert_messages_to_dict(messages)}
        for event in self.agent.stream(request, stream_mode="updates"):
            for node_data in event.values():
                for msg in node_data.get("messages", []):
                    yield ChatAgentChunk(**{"delta": {**msg, "id": str(uuid4())}})


AGENT = LangGraphChatAgent(multi_agent)
mlflow.models.set_model(AGENT)
