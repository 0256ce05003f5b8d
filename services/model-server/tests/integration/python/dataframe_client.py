"""A Python client of the model server, written the way the seeds' orchestrator and MLflow users call
`/invocations`: a pandas DataFrame sent as `dataframe_split` through `json.dumps` (which writes missing numbers
as NaN tokens; `requests.post(json=...)` refuses NaN), as `DataFrame.to_json(orient="split")` (missing values as
null), as records, and as CSV. Prints one JSON object with the predictions of each, for the TypeScript test to compare.

Usage: dataframe_client.py <base-url> <input_example.json>
"""

import json
import sys

import pandas as pd
import requests


def post(url, **kwargs):
    response = requests.post(url, timeout=30, **kwargs)
    return {"status": response.status_code, "body": response.json(), "version": response.headers.get("x-model-version")}


def main():
    base_url, example_path = sys.argv[1], sys.argv[2]
    with open(example_path, encoding="utf-8") as handle:
        example = json.load(handle)
    frame = pd.DataFrame(example["data"], columns=example["columns"])
    text_columns = [name for name in frame.columns if frame[name].dtype == object]
    # As the model's README advises: missing text as "", numbers as float64.
    frame[text_columns] = frame[text_columns].fillna("")
    url = f"{base_url}/invocations"
    json_headers = {"Content-Type": "application/json"}
    results = {
        "split_json_dumps": post(
            url, data=json.dumps({"dataframe_split": frame.to_dict(orient="split")}), headers=json_headers
        ),
        "split_to_json": post(
            url,
            data=f'{{"dataframe_split": {frame.to_json(orient="split")}}}',
            headers=json_headers,
        ),
        "records": post(url, data=json.dumps({"dataframe_records": frame.to_dict(orient="records")}), headers=json_headers),
        "fully_filled_requests_json": post(url, json={"dataframe_split": frame.fillna(0).to_dict(orient="split")}),
        "csv": post(url, data=frame.to_csv(index=False), headers={"Content-Type": "text/csv"}),
        "nan_count": int(frame.isna().sum().sum()),
        "nan_token_sent": "NaN" in json.dumps({"dataframe_split": frame.to_dict(orient="split")}),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
